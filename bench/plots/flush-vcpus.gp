# vmmu bench --plot: flush-vcpus (data inline)
$used << EOD
1 1.59189 NaN
2 2.73681 NaN
4 4.41092 NaN
8 9.21024 NaN
EOD
unused = 0.645801
set terminal pngcairo size 900,600 noenhanced font ',10'
set output 'bench/plots/flush-vcpus.png'
set title 'MOVE of a slot that vCPU threads read (remote TLB flush), 2 cores'
set logscale x 2
set grid
set key below
set yrange [0:*]
set xlabel 'vCPU threads reading the slot'
set ylabel 'us per MOVE'
plot $used using 1:2 with linespoints lw 2 title 'slot in use (flush)', unused with lines dt 2 lw 2 title 'slot nobody uses (1 vCPU thread running)'
reset
set terminal svg size 900,600 noenhanced font ',10'
set output 'bench/plots/flush-vcpus.svg'
set title 'MOVE of a slot that vCPU threads read (remote TLB flush), 2 cores'
set logscale x 2
set grid
set key below
set yrange [0:*]
set xlabel 'vCPU threads reading the slot'
set ylabel 'us per MOVE'
plot $used using 1:2 with linespoints lw 2 title 'slot in use (flush)', unused with lines dt 2 lw 2 title 'slot nobody uses (1 vCPU thread running)'
unset output
