# vmmu bench --plot: access-threads (data inline)
$tot << EOD
1 206.288 NaN
2 218.465 NaN
4 209.106 NaN
8 199.653 NaN
EOD
$per << EOD
1 206.325 NaN
2 108.785 NaN
4 53.8996 NaN
8 25.5098 NaN
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
