# vmmu bench --plot: memslot (data inline)
$ms0 << EOD
10 0.5747 37.0283
100 0.25429 10.9463
509 0.236002 8.95402
4096 0.315952 9.78076
32763 0.415806 22.6838
EOD
$ms1 << EOD
10 5.67931 9.57725
100 5.71114 9.87518
509 5.66326 10.0954
4096 5.84833 9.97251
8194 6.04621 10.5054
EOD
$ms2 << EOD
10 3.89015 4.85491
100 3.95317 4.90639
509 4.02442 4.96615
4096 4.18308 5.17679
32763 4.52429 7.09618
EOD
$ms3 << EOD
10 0.0471465 0.158398
100 0.0482642 0.160593
509 0.0520977 0.165538
4096 0.0785244 0.213803
32763 0.156648 0.864767
EOD
$ms4 << EOD
10 0.0241431 0.107256
100 0.0227777 0.0930776
509 0.0234831 0.0929735
4096 0.0274363 0.0937409
32763 0.0226337 0.0933162
EOD
$ms5 << EOD
10 0.00126025 0.107907
100 0.00111102 0.0947955
509 0.00111275 0.0945889
4096 0.00151168 0.0928661
32763 0.00140638 0.0929281
EOD
$ms6 << EOD
10 18.6115 10.5234
100 18.797 10.2536
509 17.7798 10.7581
4096 19.0709 10.2792
32763 17.9347 10.4197
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
