# vmmu bench --plot: mmio (data inline)
$mmio << EOD
mmio-cache-hit 3.17325 NaN
mmio-spte-hit 6.15354 NaN
mmio-first-touch 129.404 NaN
mmio-refill 124.085 NaN
EOD
set terminal pngcairo size 900,600 noenhanced font ',10'
set output 'bench/plots/mmio.png'
set title 'MMIO access: vmmu rungs vs KVM exit round trip (KVM: when measured)'
set logscale y
set grid ytics
set key below
set ylabel 'ns per access'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
plot $mmio using 2:xtic(1) title 'vmmu'
reset
set terminal svg size 900,600 noenhanced font ',10'
set output 'bench/plots/mmio.svg'
set title 'MMIO access: vmmu rungs vs KVM exit round trip (KVM: when measured)'
set logscale y
set grid ytics
set key below
set ylabel 'ns per access'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
plot $mmio using 2:xtic(1) title 'vmmu'
unset output
