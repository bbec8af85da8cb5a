# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.0919244 NaN
65536 0.110867 NaN
2097152 0.835543 NaN
67108864 25.905 NaN
EOD
$pop << EOD
4096 2.92742 NaN
65536 2.96386 NaN
2097152 4.20983 NaN
67108864 41.785 NaN
EOD
$slots << EOD
10 0.0626255 NaN
100 0.0929019 NaN
509 0.097997 NaN
4096 0.139901 NaN
32763 0.393527 NaN
EOD
$miss << EOD
10 0.0418935 NaN
100 0.0361806 NaN
509 0.0321715 NaN
4096 0.0293275 NaN
32763 0.0300739 NaN
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
