# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 2.905 NaN
3000 2.625 NaN
10000 2.264 NaN
30000 2.034 NaN
100000 2.846 NaN
300000 4.939 NaN
1000000 7.655 NaN
EOD
$genw << EOD
1000 0.319997 NaN
3000 0.330001 NaN
10000 0.329994 NaN
30000 0.330998 NaN
100000 0.330001 NaN
300000 0.350003 NaN
1000000 0.390995 NaN
EOD
$walk << EOD
1000 8.146 NaN
3000 11.693 NaN
10000 22.393 NaN
30000 55.396 NaN
100000 174.271 NaN
300000 566.744 NaN
1000000 1873.06 NaN
EOD
$walkw << EOD
1000 3.267 NaN
3000 5.41 NaN
10000 12.183 NaN
30000 31.54 NaN
100000 99.819 NaN
300000 313.624 NaN
1000000 1085.16 NaN
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
