# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.116987 NaN
65536 0.141665 NaN
2097152 0.298256 NaN
67108864 5.42701 NaN
EOD
$pop << EOD
4096 0.417576 NaN
65536 0.434093 NaN
2097152 0.99765 NaN
67108864 20.7284 NaN
EOD
$slots << EOD
10 0.0856315 NaN
100 0.0938978 NaN
509 0.147667 NaN
4096 0.221856 NaN
32763 0.340641 NaN
EOD
$miss << EOD
10 0.0352329 NaN
100 0.0353047 NaN
509 0.0352743 NaN
4096 0.0352789 NaN
32763 0.0352649 NaN
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
