# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.127807 NaN
65536 0.128584 NaN
2097152 0.836645 NaN
67108864 27.8015 NaN
EOD
$pop << EOD
4096 3.98582 NaN
65536 4.15766 NaN
2097152 5.47422 NaN
67108864 49.4846 NaN
EOD
$slots << EOD
10 0.0702542 NaN
100 0.0849225 NaN
509 0.122152 NaN
4096 0.15902 NaN
32763 0.519655 NaN
EOD
$miss << EOD
10 0.0559765 NaN
100 0.0501987 NaN
509 0.054972 NaN
4096 0.0492931 NaN
32763 0.0588202 NaN
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
