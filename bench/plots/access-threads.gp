# vmmu bench --plot: access-threads (data inline)
$tot << EOD
1 91.9065 NaN
2 93.632 NaN
4 94.307 NaN
8 94.2067 NaN
EOD
$per << EOD
1 91.8158 NaN
2 46.5372 NaN
4 23.9703 NaN
8 11.8135 NaN
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
