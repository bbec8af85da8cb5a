# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.0935897 NaN
65536 0.112159 NaN
2097152 0.792265 NaN
67108864 22.8179 NaN
EOD
$pop << EOD
4096 3.01178 NaN
65536 2.96006 NaN
2097152 4.05447 NaN
67108864 38.829 NaN
EOD
$slots << EOD
10 0.0581376 NaN
100 0.0747992 NaN
509 0.0920537 NaN
4096 0.137348 NaN
32763 0.226237 NaN
EOD
$miss << EOD
10 0.031295 NaN
100 0.0316587 NaN
509 0.0310552 NaN
4096 0.0318596 NaN
32763 0.0308705 NaN
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
