# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 6.66 NaN
3000 5.668 NaN
10000 3.866 NaN
30000 3.605 NaN
100000 6.169 NaN
300000 11.156 NaN
1000000 11.577 NaN
EOD
$genw << EOD
1000 0.320004 NaN
3000 0.299995 NaN
10000 0.280001 NaN
30000 0.299995 NaN
100000 0.309999 NaN
300000 0.350003 NaN
1000000 0.360997 NaN
EOD
$walk << EOD
1000 13.861 NaN
3000 17.055 NaN
10000 32.238 NaN
30000 74.881 NaN
100000 255.86 NaN
300000 699.099 NaN
1000000 2247.72 NaN
EOD
$walkw << EOD
1000 4.617 NaN
3000 7.36101 NaN
10000 17.195 NaN
30000 44.406 NaN
100000 140.879 NaN
300000 414.656 NaN
1000000 1391.79 NaN
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
