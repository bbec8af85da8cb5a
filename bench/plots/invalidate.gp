# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 4.827 NaN
3000 3.405 NaN
10000 3.886 NaN
30000 3.565 NaN
100000 5.989 NaN
300000 10.736 NaN
1000000 11.958 NaN
EOD
$genw << EOD
1000 0.329994 NaN
3000 0.270004 NaN
10000 0.270004 NaN
30000 0.281005 NaN
100000 0.300002 NaN
300000 0.371001 NaN
1000000 0.389999 NaN
EOD
$walk << EOD
1000 12.669 NaN
3000 16.274 NaN
10000 33.209 NaN
30000 82.934 NaN
100000 239.065 NaN
300000 724.496 NaN
1000000 2247.8 NaN
EOD
$walkw << EOD
1000 4.65599 NaN
3000 7.361 NaN
10000 17.005 NaN
30000 44.576 NaN
100000 140.498 NaN
300000 414.777 NaN
1000000 1382.91 NaN
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
