# vmmu bench --plot: mmio (data inline)
$mmio << EOD
mmio-cache-hit 4.7872 9220.11
mmio-spte-hit 5.70665 9476.48
mmio-first-touch 95.223 9489.59
mmio-refill 92.0354 9568.09
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
plot $mmio using 2:xtic(1) title 'vmmu', '' using 3 title 'KVM'
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
plot $mmio using 2:xtic(1) title 'vmmu', '' using 3 title 'KVM'
unset output
