# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 4.187 NaN
3000 3.397 NaN
10000 3.576 NaN
30000 3.47599 NaN
100000 4.609 NaN
300000 5.06 NaN
1000000 5.84099 NaN
EOD
$genw << EOD
1000 0.349995 NaN
3000 0.339998 NaN
10000 0.341002 NaN
30000 0.321001 NaN
100000 0.399996 NaN
300000 0.401 NaN
1000000 0.401 NaN
EOD
$walk << EOD
1000 10.851 NaN
3000 13.716 NaN
10000 28.353 NaN
30000 63.371 NaN
100000 196.132 NaN
300000 575.321 NaN
1000000 1858.17 NaN
EOD
$walkw << EOD
1000 3.827 NaN
3000 6.162 NaN
10000 14.197 NaN
30000 36.409 NaN
100000 115.85 NaN
300000 341.687 NaN
1000000 1159.38 NaN
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
