# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 5.288 NaN
3000 4.717 NaN
10000 4.74699 NaN
30000 4.94799 NaN
100000 11.097 NaN
300000 12.188 NaN
1000000 12.809 NaN
EOD
$genw << EOD
1000 0.271 NaN
3000 0.310996 NaN
10000 0.321001 NaN
30000 0.290005 NaN
100000 0.331005 NaN
300000 0.369997 NaN
1000000 0.390006 NaN
EOD
$walk << EOD
1000 13.32 NaN
3000 18.197 NaN
10000 35.382 NaN
30000 82.563 NaN
100000 236.271 NaN
300000 706.41 NaN
1000000 2256.56 NaN
EOD
$walkw << EOD
1000 4.556 NaN
3000 7.421 NaN
10000 17.095 NaN
30000 44.346 NaN
100000 140.669 NaN
300000 415.237 NaN
1000000 1418.56 NaN
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
