# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 3.615 NaN
3000 4.327 NaN
10000 3.886 NaN
30000 4.437 NaN
100000 4.917 NaN
300000 7.451 NaN
1000000 10.416 NaN
EOD
$genw << EOD
1000 0.290001 NaN
3000 0.311 NaN
10000 0.311 NaN
30000 0.349999 NaN
100000 0.299999 NaN
300000 0.329997 NaN
1000000 0.381002 NaN
EOD
$walk << EOD
1000 11.768 NaN
3000 16.795 NaN
10000 33.139 NaN
30000 76.994 NaN
100000 242.32 NaN
300000 670.826 NaN
1000000 2239.04 NaN
EOD
$walkw << EOD
1000 4.547 NaN
3000 7.371 NaN
10000 17.085 NaN
30000 44.396 NaN
100000 140.94 NaN
300000 415.627 NaN
1000000 1397.63 NaN
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
