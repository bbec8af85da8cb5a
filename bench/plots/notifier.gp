# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.0933768 NaN
65536 0.110821 NaN
2097152 0.803441 NaN
67108864 23.2584 NaN
EOD
$pop << EOD
4096 2.90134 NaN
65536 2.91103 NaN
2097152 4.09515 NaN
67108864 39.9798 NaN
EOD
$slots << EOD
10 0.0573493 NaN
100 0.0735422 NaN
509 0.0912165 NaN
4096 0.140683 NaN
32763 0.236806 NaN
EOD
$miss << EOD
10 0.0306474 NaN
100 0.030687 NaN
509 0.031914 NaN
4096 0.0310153 NaN
32763 0.0314145 NaN
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
