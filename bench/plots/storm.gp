# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 84.064
0.02 101.664
0.03 102.061
0.04 102.086
0.05 101.286
0.06 102.035
0.07 102.438
0.08 102.202
0.09 102.17
0.1 101.869
0.11 102.554
0.12 102.074
0.13 102.586
0.14 102.387
0.15 101.734
0.16 102.336
0.17 102.483
0.18 101.779
0.19 102.509
0.2 101.472
0.21 102.592
0.22 102.381
0.23 102.931
0.24 102.522
0.25 91.5264
0.26 102.496
0.27 102.554
0.28 102.234
0.29 102.867
0.3 101.907
0.31 102.579
0.32 102.534
0.33 102.502
0.34 102.381
0.35 102.342
0.36 102.387
0.37 102.547
0.38 102.278
0.39 80.8064
0.4 73.12
0.41 98.7904
0.42 98.6752
0.43 102.906
0.44 102.618
0.45 102.394
0.46 102.733
0.47 102.726
0.48 101.901
0.49 102.259
0.5 101.325
EOD
$sameon << EOD
0.01 0.6784
0.02 0.608
0.03 0.512
0.04 0.448
0.05 0.608
0.06 0.5888
0.07 0.6016
0.08 0.608
0.09 0.608
0.1 0.5952
0.11 0.6144
0.12 0.5952
0.13 0.576
0.14 0.608
0.15 0.576
0.16 0.6016
0.17 0.5824
0.18 0.5632
0.19 0.5952
0.2 0.5824
0.21 0.5824
0.22 0.5952
0.23 0.6016
0.24 0.6016
0.25 0.5824
0.26 0.5312
0.27 0.5824
0.28 0.6336
0.29 0.6208
0.3 0.5952
0.31 0.608
0.32 0.6592
0.33 0.6208
0.34 0.6656
0.35 0.6528
0.36 0.6208
0.37 0.6272
0.38 0.6336
0.39 0.6208
0.4 0.6272
0.41 0.6208
0.42 0.6272
0.43 0.6336
0.44 0.64
0.45 0.5504
0.46 0.6592
0.47 0.64
0.48 0.5952
0.49 0.5952
0.5 0.576
EOD
$otheroff << EOD
0.01 5.6
0.02 5.5936
0.03 5.6064
0.04 5.6512
0.05 5.4912
0.06 5.6384
0.07 5.6128
0.08 5.5872
0.09 5.632
0.1 5.5808
0.11 5.6
0.12 5.6192
0.13 5.632
0.14 5.6384
0.15 5.472
0.16 5.5936
0.17 5.6128
0.18 5.6
0.19 5.6256
0.2 5.5808
0.21 5.632
0.22 5.632
0.23 5.6384
0.24 5.6384
0.25 5.5424
0.26 5.6192
0.27 5.0688
0.28 5.5808
0.29 5.6
0.3 5.4592
0.31 5.6192
0.32 5.6064
0.33 5.6256
0.34 5.6384
0.35 5.5232
0.36 5.6576
0.37 5.6256
0.38 5.5744
0.39 5.6448
0.4 5.568
0.41 5.6128
0.42 5.6256
0.43 5.5552
0.44 5.6384
0.45 5.5552
0.46 5.5936
0.47 5.5872
0.48 5.5616
0.49 5.5616
0.5 5.5424
EOD
$otheron << EOD
0.01 5.568
0.02 5.6576
0.03 5.6576
0.04 5.6896
0.05 5.216
0.06 5.7088
0.07 4.2368
0.08 5.664
0.09 5.7088
0.1 5.632
0.11 5.7152
0.12 5.7024
0.13 5.7216
0.14 5.7344
0.15 5.6384
0.16 5.7216
0.17 5.6768
0.18 5.6832
0.19 5.7152
0.2 5.632
0.21 5.248
0.22 5.7152
0.23 5.6768
0.24 5.7152
0.25 5.3056
0.26 5.728
0.27 5.7088
0.28 5.0752
0.29 5.696
0.3 5.5296
0.31 5.6832
0.32 5.7472
0.33 5.696
0.34 5.7024
0.35 5.6384
0.36 5.728
0.37 5.6704
0.38 5.6768
0.39 5.6896
0.4 5.6384
0.41 5.6832
0.42 5.7344
0.43 5.664
0.44 5.7024
0.45 5.6576
0.46 5.7152
0.47 5.6384
0.48 5.5232
0.49 5.6
0.5 5.4976
EOD
set terminal pngcairo size 1400,600 noenhanced font ',10'
set output 'bench/plots/storm.png'
set multiplot layout 1,2 title 'invalidation storm: vCPU progress per 10 ms slice (start/end pairs on random 64 KiB ranges)'
set grid
set key below
set yrange [0:*]
set xlabel 'seconds'
set title 'storm on the 16 MiB the vCPU writes'
set ylabel 'M accesses/s'
plot $sameoff using 1:2 with lines lw 2 title 'storm off', $sameon using 1:2 with lines lw 2 title 'storm on'
set title 'storm on another slot; the vCPU faults its own slot'
set ylabel 'M faults/s'
plot $otheroff using 1:2 with lines lw 2 title 'storm off', $otheron using 1:2 with lines lw 2 title 'storm on'
unset multiplot
reset
set terminal svg size 1400,600 noenhanced font ',10'
set output 'bench/plots/storm.svg'
set multiplot layout 1,2 title 'invalidation storm: vCPU progress per 10 ms slice (start/end pairs on random 64 KiB ranges)'
set grid
set key below
set yrange [0:*]
set xlabel 'seconds'
set title 'storm on the 16 MiB the vCPU writes'
set ylabel 'M accesses/s'
plot $sameoff using 1:2 with lines lw 2 title 'storm off', $sameon using 1:2 with lines lw 2 title 'storm on'
set title 'storm on another slot; the vCPU faults its own slot'
set ylabel 'M faults/s'
plot $otheroff using 1:2 with lines lw 2 title 'storm off', $otheron using 1:2 with lines lw 2 title 'storm on'
unset multiplot
unset output
