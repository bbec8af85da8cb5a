# vmmu bench --plot: memslot (data inline)
$ms0 << EOD
10 0.9124 89.6481
100 0.30966 13.8242
509 0.501945 19.7802
4096 0.434495 16.1121
32763 0.552466 25.926
EOD
$ms1 << EOD
10 8.08697 18.0291
100 8.31997 19.0382
509 7.97874 18.5362
4096 8.29784 19.3861
8194 8.8764 20.852
EOD
$ms2 << EOD
10 8.31736 15.6397
100 8.36514 15.8562
509 8.43089 15.9186
4096 8.27468 16.1556
32763 8.48394 18.4947
EOD
$ms3 << EOD
10 0.0630974 0.137816
100 0.0691637 0.147259
509 0.0691719 0.155098
4096 0.0669193 0.223875
32763 0.109419 0.988931
EOD
$ms4 << EOD
10 0.00358251 0.147882
100 0.00450397 0.108887
509 0.00423738 0.0869033
4096 0.00525027 0.0971166
32763 0.00378113 0.113334
EOD
$ms5 << EOD
10 0.00148439 0.147377
100 0.0018139 0.101304
509 0.00135223 0.0866104
4096 0.00177993 0.0957503
32763 0.00174453 0.115723
EOD
$ms6 << EOD
10 7.72721 7.89024
100 8.12059 8.25669
509 8.04421 7.98424
4096 7.15755 7.58072
32763 7.83228 7.94352
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
