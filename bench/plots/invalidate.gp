# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 11.513 NaN
3000 6.232 NaN
10000 11.191 NaN
30000 9.37701 NaN
100000 6.533 NaN
300000 7.795 NaN
1000000 10.039 NaN
EOD
$genw << EOD
1000 0.510998 NaN
3000 0.471002 NaN
10000 0.540997 NaN
30000 0.560998 NaN
100000 0.480999 NaN
300000 0.430002 NaN
1000000 0.441003 NaN
EOD
$walk << EOD
1000 20.99 NaN
3000 22.694 NaN
10000 52.449 NaN
30000 122.172 NaN
100000 203.726 NaN
300000 618.562 NaN
1000000 1992.91 NaN
EOD
$walkw << EOD
1000 6.032 NaN
3000 10.681 NaN
10000 24.437 NaN
30000 63.11 NaN
100000 150.095 NaN
300000 354.682 NaN
1000000 1244.71 NaN
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
