# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.131993 NaN
65536 0.149261 NaN
2097152 0.307516 NaN
67108864 5.40211 NaN
EOD
$pop << EOD
4096 0.424339 NaN
65536 0.446006 NaN
2097152 1.02657 NaN
67108864 19.1392 NaN
EOD
$slots << EOD
10 0.0919825 NaN
100 0.12454 NaN
509 0.15934 NaN
4096 0.233608 NaN
32763 0.355441 NaN
EOD
$miss << EOD
10 0.0427879 NaN
100 0.0416147 NaN
509 0.0417008 NaN
4096 0.0416166 NaN
32763 0.0416731 NaN
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
