# vmmu bench --plot: memslot (data inline)
$ms0 << EOD
10 1.019 NaN
100 0.93838 NaN
509 0.403495 NaN
4096 2.05408 NaN
32763 1.8785 NaN
EOD
$ms1 << EOD
10 156.829 NaN
100 112.415 NaN
509 73.3909 NaN
4096 83.7576 NaN
8194 85.7736 NaN
EOD
$ms2 << EOD
10 83.9866 NaN
100 40.4756 NaN
509 42.7913 NaN
4096 54.5851 NaN
32763 46.0647 NaN
EOD
$ms3 << EOD
10 0.263068 NaN
100 0.311109 NaN
509 0.465543 NaN
4096 0.437883 NaN
32763 0.322494 NaN
EOD
$ms4 << EOD
10 0.00709121 NaN
100 0.00827741 NaN
509 0.007334 NaN
4096 0.00453605 NaN
32763 0.0095049 NaN
EOD
$ms5 << EOD
10 0.00969644 NaN
100 0.00741159 NaN
509 0.0051981 NaN
4096 0.00668904 NaN
32763 0.00892098 NaN
EOD
$ms6 << EOD
10 35.8592 NaN
100 20.6373 NaN
509 13.7679 NaN
4096 17.344 NaN
32763 21.7086 NaN
EOD
set terminal pngcairo size 1600,800 noenhanced font ',10'
set output 'bench/plots/memslot.png'
set multiplot layout 2,4 title 'vmmu vs KVM: memslot_perf_test cases, time per iteration vs slot count (log-log)'
set logscale xy
set grid
set key below
set xlabel 'slots'
set title 'setup-per-slot'
set ylabel 'us per slot'
plot $ms0 using 1:2 with linespoints lw 2 title 'vmmu', $ms0 using 1:3 with linespoints lw 2 title 'KVM'
set title 'map'
set ylabel 'ms'
plot $ms1 using 1:2 with linespoints lw 2 title 'vmmu', $ms1 using 1:3 with linespoints lw 2 title 'KVM'
set title 'unmap'
set ylabel 'ms'
plot $ms2 using 1:2 with linespoints lw 2 title 'vmmu', $ms2 using 1:3 with linespoints lw 2 title 'KVM'
set title 'unmap-chunked'
set ylabel 'ms'
plot $ms3 using 1:2 with linespoints lw 2 title 'vmmu', $ms3 using 1:3 with linespoints lw 2 title 'KVM'
set title 'move-active'
set ylabel 'ms'
plot $ms4 using 1:2 with linespoints lw 2 title 'vmmu', $ms4 using 1:3 with linespoints lw 2 title 'KVM'
set title 'move-inactive'
set ylabel 'ms'
plot $ms5 using 1:2 with linespoints lw 2 title 'vmmu', $ms5 using 1:3 with linespoints lw 2 title 'KVM'
set title 'rw'
set ylabel 'ms'
plot $ms6 using 1:2 with linespoints lw 2 title 'vmmu', $ms6 using 1:3 with linespoints lw 2 title 'KVM'
unset multiplot
reset
set terminal svg size 1600,800 noenhanced font ',10'
set output 'bench/plots/memslot.svg'
set multiplot layout 2,4 title 'vmmu vs KVM: memslot_perf_test cases, time per iteration vs slot count (log-log)'
set logscale xy
set grid
set key below
set xlabel 'slots'
set title 'setup-per-slot'
set ylabel 'us per slot'
plot $ms0 using 1:2 with linespoints lw 2 title 'vmmu', $ms0 using 1:3 with linespoints lw 2 title 'KVM'
set title 'map'
set ylabel 'ms'
plot $ms1 using 1:2 with linespoints lw 2 title 'vmmu', $ms1 using 1:3 with linespoints lw 2 title 'KVM'
set title 'unmap'
set ylabel 'ms'
plot $ms2 using 1:2 with linespoints lw 2 title 'vmmu', $ms2 using 1:3 with linespoints lw 2 title 'KVM'
set title 'unmap-chunked'
set ylabel 'ms'
plot $ms3 using 1:2 with linespoints lw 2 title 'vmmu', $ms3 using 1:3 with linespoints lw 2 title 'KVM'
set title 'move-active'
set ylabel 'ms'
plot $ms4 using 1:2 with linespoints lw 2 title 'vmmu', $ms4 using 1:3 with linespoints lw 2 title 'KVM'
set title 'move-inactive'
set ylabel 'ms'
plot $ms5 using 1:2 with linespoints lw 2 title 'vmmu', $ms5 using 1:3 with linespoints lw 2 title 'KVM'
set title 'rw'
set ylabel 'ms'
plot $ms6 using 1:2 with linespoints lw 2 title 'vmmu', $ms6 using 1:3 with linespoints lw 2 title 'KVM'
unset multiplot
unset output
