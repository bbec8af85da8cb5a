# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.0914199 NaN
65536 0.111697 NaN
2097152 0.817661 NaN
67108864 23.8059 NaN
EOD
$pop << EOD
4096 2.90542 NaN
65536 2.94386 NaN
2097152 4.47871 NaN
67108864 39.2734 NaN
EOD
$slots << EOD
10 0.058673 NaN
100 0.0848921 NaN
509 0.0913293 NaN
4096 0.139317 NaN
32763 0.241063 NaN
EOD
$miss << EOD
10 0.0346141 NaN
100 0.0358172 NaN
509 0.0334344 NaN
4096 0.0327029 NaN
32763 0.0333235 NaN
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
