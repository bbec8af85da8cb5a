# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 4.016 NaN
3000 3.905 NaN
10000 3.786 NaN
30000 3.515 NaN
100000 4.107 NaN
300000 8.904 NaN
1000000 11.557 NaN
EOD
$genw << EOD
1000 0.291 NaN
3000 0.32 NaN
10000 0.3 NaN
30000 0.32 NaN
100000 0.31 NaN
300000 0.35 NaN
1000000 0.44 NaN
EOD
$walk << EOD
1000 11.116 NaN
3000 15.713 NaN
10000 32.037 NaN
30000 82.172 NaN
100000 231.434 NaN
300000 720.57 NaN
1000000 2255.7 NaN
EOD
$walkw << EOD
1000 4.266 NaN
3000 7.181 NaN
10000 17.106 NaN
30000 44.466 NaN
100000 140.499 NaN
300000 414.907 NaN
1000000 1402.84 NaN
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
