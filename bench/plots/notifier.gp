# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.112643 NaN
65536 0.123095 NaN
2097152 0.889492 NaN
67108864 20.6917 NaN
EOD
$pop << EOD
4096 3.76628 NaN
65536 3.90884 NaN
2097152 5.04007 NaN
67108864 37.0366 NaN
EOD
$slots << EOD
10 0.0817166 NaN
100 0.0839322 NaN
509 0.0936327 NaN
4096 0.141324 NaN
32763 0.254145 NaN
EOD
$miss << EOD
10 0.0676116 NaN
100 0.0683586 NaN
509 0.0670492 NaN
4096 0.0670611 NaN
32763 0.0670132 NaN
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
