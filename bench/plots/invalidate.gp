# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 3.64 NaN
3000 3.28 NaN
10000 3.153 NaN
30000 3.157 NaN
100000 2.835 NaN
300000 5.298 NaN
1000000 7.65 NaN
EOD
$genw << EOD
1000 0.276 NaN
3000 0.254 NaN
10000 0.251 NaN
30000 0.237001 NaN
100000 0.242 NaN
300000 0.246 NaN
1000000 0.376 NaN
EOD
$walk << EOD
1000 6.888 NaN
3000 8.854 NaN
10000 16.199 NaN
30000 36.303 NaN
100000 101.644 NaN
300000 322.649 NaN
1000000 1359.61 NaN
EOD
$walkw << EOD
1000 1.301 NaN
3000 1.933 NaN
10000 4.317 NaN
30000 9.191 NaN
100000 29.651 NaN
300000 106.862 NaN
1000000 387.126 NaN
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
