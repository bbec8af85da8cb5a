# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.0904872 NaN
65536 0.108691 NaN
2097152 0.808184 NaN
67108864 24.1553 NaN
EOD
$pop << EOD
4096 2.96352 NaN
65536 2.94041 NaN
2097152 4.07125 NaN
67108864 40.0474 NaN
EOD
$slots << EOD
10 0.0547282 NaN
100 0.0694695 NaN
509 0.0875107 NaN
4096 0.149829 NaN
32763 0.341583 NaN
EOD
$miss << EOD
10 0.02754 NaN
100 0.0276747 NaN
509 0.0284821 NaN
4096 0.0289833 NaN
32763 0.0302817 NaN
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
