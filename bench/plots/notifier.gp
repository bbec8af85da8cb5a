# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.137683 NaN
65536 0.144346 NaN
2097152 0.302089 NaN
67108864 5.36479 NaN
EOD
$pop << EOD
4096 0.583125 NaN
65536 0.584985 NaN
2097152 1.14219 NaN
67108864 21.0073 NaN
EOD
$slots << EOD
10 0.0844627 NaN
100 0.121383 NaN
509 0.156127 NaN
4096 0.230098 NaN
32763 0.366725 NaN
EOD
$miss << EOD
10 0.0391168 NaN
100 0.0390848 NaN
509 0.0390016 NaN
4096 0.0393287 NaN
32763 0.0390821 NaN
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
