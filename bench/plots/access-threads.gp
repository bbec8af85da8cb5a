# vmmu bench --plot: access-threads (data inline)
$tot << EOD
1 302.354 NaN
2 612.262 NaN
4 586.382 NaN
8 593.056 NaN
EOD
$per << EOD
1 302.423 NaN
2 303.216 NaN
4 163.211 NaN
8 77.6862 NaN
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
