# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.089563 NaN
65536 0.107187 NaN
2097152 0.805379 NaN
67108864 23.6848 NaN
EOD
$pop << EOD
4096 2.90263 NaN
65536 2.90498 NaN
2097152 4.14699 NaN
67108864 37.4252 NaN
EOD
$slots << EOD
10 0.0527856 NaN
100 0.0687743 NaN
509 0.0874915 NaN
4096 0.133876 NaN
32763 0.218087 NaN
EOD
$miss << EOD
10 0.0272604 NaN
100 0.0277069 NaN
509 0.0278781 NaN
4096 0.0278885 NaN
32763 0.0273273 NaN
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
