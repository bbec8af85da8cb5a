# vmmu bench --plot: memslot (data inline)
$ms0 << EOD
10 0.603899 73.7116
100 0.42994 15.313
509 0.33043 14.5654
4096 0.659627 17.9871
32763 0.558864 38.6934
EOD
$ms1 << EOD
10 8.34101 18.3345
100 9.44603 18.3513
509 9.86226 18.9241
4096 11.0759 20.0418
8194 10.9968 19.8701
EOD
$ms2 << EOD
10 8.44452 16.9677
100 8.3988 16.3336
509 8.18171 16.0443
4096 8.37059 18.2516
32763 9.35752 19.3799
EOD
$ms3 << EOD
10 0.0777351 0.167219
100 0.0713592 0.156347
509 0.0677154 0.150499
4096 0.0727261 0.234872
32763 0.128026 1.81311
EOD
$ms4 << EOD
10 0.00344862 0.154997
100 0.00436815 0.0971132
509 0.00420263 0.0923694
4096 0.00639344 0.106044
32763 0.00451466 0.11018
EOD
$ms5 << EOD
10 0.00149662 0.154068
100 0.0018678 0.107616
509 0.0014092 0.099291
4096 0.0018359 0.121424
32763 0.0017739 0.12096
EOD
$ms6 << EOD
10 8.03198 8.06863
100 8.44746 8.52901
509 7.85588 7.90765
4096 8.6271 7.99761
32763 7.87488 8.0499
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
