# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 4.847 NaN
3000 5.498 NaN
10000 4.897 NaN
30000 4.516 NaN
100000 10.696 NaN
300000 11.317 NaN
1000000 9.544 NaN
EOD
$genw << EOD
1000 0.361004 NaN
3000 0.280997 NaN
10000 0.330998 NaN
30000 0.300999 NaN
100000 0.370004 NaN
300000 0.420994 NaN
1000000 0.419997 NaN
EOD
$walk << EOD
1000 11.878 NaN
3000 18.217 NaN
10000 33.95 NaN
30000 75.202 NaN
100000 234.809 NaN
300000 694.312 NaN
1000000 2243.23 NaN
EOD
$walkw << EOD
1000 4.317 NaN
3000 7.371 NaN
10000 17.956 NaN
30000 44.216 NaN
100000 140.81 NaN
300000 414.967 NaN
1000000 1395.67 NaN
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
