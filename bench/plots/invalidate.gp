# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 3.93701 NaN
3000 3.31701 NaN
10000 3.347 NaN
30000 5.721 NaN
100000 6.392 NaN
300000 8.737 NaN
1000000 8.847 NaN
EOD
$genw << EOD
1000 0.450003 NaN
3000 0.461005 NaN
10000 0.46099 NaN
30000 0.450003 NaN
100000 0.440996 NaN
300000 0.480999 NaN
1000000 0.44101 NaN
EOD
$walk << EOD
1000 10.119 NaN
3000 13.465 NaN
10000 25.879 NaN
30000 66.577 NaN
100000 217.071 NaN
300000 592.993 NaN
1000000 2092.18 NaN
EOD
$walkw << EOD
1000 4.89999 NaN
3000 7.904 NaN
10000 18.194 NaN
30000 47.43 NaN
100000 149.953 NaN
300000 459.571 NaN
1000000 1532.26 NaN
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
