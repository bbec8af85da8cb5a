# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.0891299 NaN
65536 0.10796 NaN
2097152 0.802048 NaN
67108864 23.8429 NaN
EOD
$pop << EOD
4096 2.88701 NaN
65536 2.95848 NaN
2097152 4.03528 NaN
67108864 38.772 NaN
EOD
$slots << EOD
10 0.0548097 NaN
100 0.0690113 NaN
509 0.0860939 NaN
4096 0.132462 NaN
32763 0.218829 NaN
EOD
$miss << EOD
10 0.0291949 NaN
100 0.0276362 NaN
509 0.0274615 NaN
4096 0.0272134 NaN
32763 0.0272978 NaN
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
