# vmmu bench --plot: invalidate (data inline)
$gen << EOD
1000 13.526 NaN
3000 7.485 NaN
10000 8.77699 NaN
30000 13.436 NaN
100000 10.961 NaN
300000 12.443 NaN
1000000 12.624 NaN
EOD
$genw << EOD
1000 0.491003 NaN
3000 0.480999 NaN
10000 0.541004 NaN
30000 0.569999 NaN
100000 0.400003 NaN
300000 0.430999 NaN
1000000 0.470005 NaN
EOD
$walk << EOD
1000 18.014 NaN
3000 27.312 NaN
10000 63.821 NaN
30000 150.155 NaN
100000 275.712 NaN
300000 772.254 NaN
1000000 2621.21 NaN
EOD
$walkw << EOD
1000 6.462 NaN
3000 10.881 NaN
10000 28.354 NaN
30000 71.937 NaN
100000 170.051 NaN
300000 508.483 NaN
1000000 1727.49 NaN
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
