# vmmu bench --plot: notifier (data inline)
$empty << EOD
4096 0.13047 NaN
65536 0.138106 NaN
2097152 1.22543 NaN
67108864 17.6985 NaN
EOD
$pop << EOD
4096 3.83959 NaN
65536 3.88308 NaN
2097152 5.47216 NaN
67108864 37.5074 NaN
EOD
$slots << EOD
10 0.102148 NaN
100 0.103715 NaN
509 0.105278 NaN
4096 0.134901 NaN
32763 0.255986 NaN
EOD
$miss << EOD
10 0.0801228 NaN
100 0.0807867 NaN
509 0.0804753 NaN
4096 0.0800569 NaN
32763 0.0800283 NaN
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
