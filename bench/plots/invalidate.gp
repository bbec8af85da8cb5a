# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 7.766 NaN
3000 5.958 NaN
10000 6.668 NaN
30000 6.227 NaN
100000 6.905 NaN
300000 7.357 NaN
1000000 8.449 NaN
EOD
$genw << EOD
1000 0.481001 NaN
3000 0.485999 NaN
10000 0.487 NaN
30000 0.485 NaN
100000 0.433 NaN
300000 0.422 NaN
1000000 0.454999 NaN
EOD
$walk << EOD
1000 9.752 NaN
3000 12.256 NaN
10000 22.204 NaN
30000 40.975 NaN
100000 106.917 NaN
300000 310.123 NaN
1000000 1127.48 NaN
EOD
$walkw << EOD
1000 1.498 NaN
3000 2.169 NaN
10000 4.485 NaN
30000 10.92 NaN
100000 29.16 NaN
300000 112.597 NaN
1000000 390.984 NaN
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
