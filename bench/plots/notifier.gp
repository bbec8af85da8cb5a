# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.368214 NaN
65536 0.358997 NaN
2097152 2.77732 NaN
67108864 65.251 NaN
EOD
$pop << EOD
4096 3.0296 NaN
65536 3.29754 NaN
2097152 20.8014 NaN
67108864 129.424 NaN
EOD
$slots << EOD
10 0.344978 NaN
100 0.411147 NaN
509 0.443848 NaN
4096 0.683714 NaN
32763 2.35389 NaN
EOD
$miss << EOD
10 0.346323 NaN
100 0.32905 NaN
509 0.34003 NaN
4096 0.450263 NaN
32763 0.364061 NaN
EOD
set terminal pngcairo size 1400,600 noenhanced font ',10'
set output 'bench/plots/notifier.png'
set multiplot layout 1,2 title 'invalidate_range_start + end'
set logscale xy
set grid
set key below
set title 'vs range size (100 slots)'
set xlabel 'bytes'
set ylabel 'us per pair'
plot $empty using 1:2 with linespoints lw 2 title 'no SPTEs', $pop using 1:2 with linespoints lw 2 title 'all pages mapped'
set title 'vs slot count (4 KiB range)'
set xlabel 'slots'
plot $slots using 1:2 with linespoints lw 2 title 'hits a slot', $miss using 1:2 with linespoints lw 2 title 'hits none'
unset multiplot
reset
set terminal svg size 1400,600 noenhanced font ',10'
set output 'bench/plots/notifier.svg'
set multiplot layout 1,2 title 'invalidate_range_start + end'
set logscale xy
set grid
set key below
set title 'vs range size (100 slots)'
set xlabel 'bytes'
set ylabel 'us per pair'
plot $empty using 1:2 with linespoints lw 2 title 'no SPTEs', $pop using 1:2 with linespoints lw 2 title 'all pages mapped'
set title 'vs slot count (4 KiB range)'
set xlabel 'slots'
plot $slots using 1:2 with linespoints lw 2 title 'hits a slot', $miss using 1:2 with linespoints lw 2 title 'hits none'
unset multiplot
unset output
