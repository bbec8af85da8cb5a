# vmmu bench --plot: memslot (data inline)
$ms0 << EOD
10 0.3166 NaN
100 0.62379 NaN
509 0.504473 NaN
4096 1.2187 NaN
32763 1.09033 NaN
EOD
$ms1 << EOD
10 63.0501 NaN
100 51.0316 NaN
509 48.4875 NaN
4096 49.762 NaN
8194 55.7448 NaN
EOD
$ms2 << EOD
10 23.5866 NaN
100 29.2999 NaN
509 24.3609 NaN
4096 24.74 NaN
32763 26.8861 NaN
EOD
$ms3 << EOD
10 0.133695 NaN
100 0.129273 NaN
509 0.131653 NaN
4096 0.123219 NaN
32763 0.219821 NaN
EOD
$ms4 << EOD
10 0.0116285 NaN
100 0.0133603 NaN
509 0.0112962 NaN
4096 0.0189773 NaN
32763 0.0133686 NaN
EOD
$ms5 << EOD
10 0.0023988 NaN
100 0.00295247 NaN
509 0.00158972 NaN
4096 0.00189607 NaN
32763 0.00189313 NaN
EOD
$ms6 << EOD
10 12.8651 NaN
100 13.6431 NaN
509 12.1159 NaN
4096 10.5305 NaN
32763 13.262 NaN
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
