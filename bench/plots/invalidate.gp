# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 0.46 NaN
3000 0.504 NaN
10000 0.512 NaN
30000 0.604 NaN
100000 2.241 NaN
300000 6.105 NaN
1000000 10.514 NaN
EOD
$genw << EOD
1000 0.399 NaN
3000 0.39 NaN
10000 0.395 NaN
30000 0.402 NaN
100000 0.403 NaN
300000 0.454999 NaN
1000000 0.49 NaN
EOD
$walk << EOD
1000 1.887 NaN
3000 3.355 NaN
10000 8.582 NaN
30000 24.119 NaN
100000 81.028 NaN
300000 255.546 NaN
1000000 1357.02 NaN
EOD
$walkw << EOD
1000 1.267 NaN
3000 1.85 NaN
10000 3.859 NaN
30000 9.354 NaN
100000 29.191 NaN
300000 113.753 NaN
1000000 395.315 NaN
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
