# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 5.047 NaN
3000 3.606 NaN
10000 3.856 NaN
30000 5.01701 NaN
100000 11.276 NaN
300000 12.909 NaN
1000000 13.38 NaN
EOD
$genw << EOD
1000 0.260996 NaN
3000 0.261003 NaN
10000 0.260996 NaN
30000 0.280997 NaN
100000 0.350003 NaN
300000 0.36 NaN
1000000 0.391003 NaN
EOD
$walk << EOD
1000 13.5 NaN
3000 16.615 NaN
10000 33.379 NaN
30000 76.293 NaN
100000 259.685 NaN
300000 677.266 NaN
1000000 2270.54 NaN
EOD
$walkw << EOD
1000 4.346 NaN
3000 7.361 NaN
10000 17.155 NaN
30000 44.426 NaN
100000 140.419 NaN
300000 414.536 NaN
1000000 1393.94 NaN
EOD
set terminal pngcairo size 900,600 noenhanced font ',10'
set output 'bench/plots/invalidate.png'
set title 'memory-map change (one memslot CREATE) vs cached MMIO SPTEs'
set logscale xy
set grid
set key below
set xlabel 'MMIO SPTEs cached'
set ylabel 'us per change'
plot $gen using 1:2 with linespoints lw 2 title 'generation (default)', $genw using 1:2 with linespoints lw 1 dt 2 title 'generation, 2nd update (warm)', $walk using 1:2 with linespoints lw 2 title 'zap-by-walk (VMMU_VM_MMIO_ZAP_WALK)', $walkw using 1:2 with linespoints lw 1 dt 2 title 'zap-by-walk, 2nd update (tables only)'
reset
set terminal svg size 900,600 noenhanced font ',10'
set output 'bench/plots/invalidate.svg'
set title 'memory-map change (one memslot CREATE) vs cached MMIO SPTEs'
set logscale xy
set grid
set key below
set xlabel 'MMIO SPTEs cached'
set ylabel 'us per change'
plot $gen using 1:2 with linespoints lw 2 title 'generation (default)', $genw using 1:2 with linespoints lw 1 dt 2 title 'generation, 2nd update (warm)', $walk using 1:2 with linespoints lw 2 title 'zap-by-walk (VMMU_VM_MMIO_ZAP_WALK)', $walkw using 1:2 with linespoints lw 1 dt 2 title 'zap-by-walk, 2nd update (tables only)'
unset output
