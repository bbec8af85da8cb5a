# vmmu bench --plot: access-threads (data inline)
$tot << EOD
1 350.862 NaN
2 695.515 NaN
4 702.118 NaN
8 702.187 NaN
EOD
$per << EOD
1 351.026 NaN
2 348.458 NaN
4 189.877 NaN
8 88.9792 NaN
EOD
set terminal pngcairo size 900,600 noenhanced font ',10'
set output 'bench/plots/access-threads.png'
set title 'TLB-hit RAM reads vs vCPU threads (2 cores)'
set logscale x 2
set grid
set key below
set yrange [0:*]
set xlabel 'vCPU threads'
set ylabel 'M accesses/s'
plot $tot using 1:2 with linespoints lw 2 title 'total', $per using 1:2 with linespoints lw 2 title 'per vCPU'
reset
set terminal svg size 900,600 noenhanced font ',10'
set output 'bench/plots/access-threads.svg'
set title 'TLB-hit RAM reads vs vCPU threads (2 cores)'
set logscale x 2
set grid
set key below
set yrange [0:*]
set xlabel 'vCPU threads'
set ylabel 'M accesses/s'
plot $tot using 1:2 with linespoints lw 2 title 'total', $per using 1:2 with linespoints lw 2 title 'per vCPU'
unset output
