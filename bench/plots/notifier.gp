# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.201204 NaN
65536 0.202084 NaN
2097152 1.01663 NaN
67108864 21.0169 NaN
EOD
$pop << EOD
4096 4.0842 NaN
65536 4.32692 NaN
2097152 5.58991 NaN
67108864 43.8707 NaN
EOD
$slots << EOD
10 0.190876 NaN
100 0.170888 NaN
509 0.180226 NaN
4096 0.291202 NaN
32763 0.69433 NaN
EOD
$miss << EOD
10 0.159871 NaN
100 0.150183 NaN
509 0.149201 NaN
4096 0.167138 NaN
32763 0.161989 NaN
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
