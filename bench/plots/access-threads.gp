# vmmu bench --plot: access-threads (data inline)
$tot << EOD
1 294.053 NaN
2 539.639 NaN
4 564.328 NaN
8 575.851 NaN
EOD
$per << EOD
1 294.117 NaN
2 283.872 NaN
4 153.982 NaN
8 73.9952 NaN
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
