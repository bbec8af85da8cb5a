# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 104.134
0.02 105.005
0.03 107.706
0.04 106.182
0.05 107.149
0.06 107.629
0.07 107.75
0.08 106.31
0.09 105.197
0.1 107.334
0.11 107.616
0.12 107.085
0.13 102.496
0.14 104.781
0.15 106.912
0.16 107.078
0.17 105.926
0.18 84.2624
0.19 63.1488
0.2 62.9632
0.21 73.8432
0.22 94.5024
0.23 106.15
0.24 105.696
0.25 106.701
0.26 104.838
0.27 107.411
0.28 107.373
0.29 105.773
0.3 106.733
0.31 106.202
0.32 107.213
0.33 104.544
0.34 103.878
0.35 105.562
0.36 106.349
0.37 105.504
0.38 105.722
0.39 87.8208
0.4 92.448
0.41 104.109
0.42 105.05
0.43 97.5104
0.44 83.5072
0.45 73.9968
0.46 63.5904
0.47 63.4688
0.48 66.4512
0.49 64.096
0.5 63.008
EOD
$sameon << EOD
0.01 15.9744
0.02 15.0848
0.03 17.12
0.04 16.4672
0.05 21.248
0.06 24.256
0.07 25.2864
0.08 23.7376
0.09 19.52
0.1 24.5248
0.11 25.2736
0.12 24.9856
0.13 25.1904
0.14 24.8768
0.15 24.9216
0.16 25.0432
0.17 18.976
0.18 18.1824
0.19 22.9248
0.2 15.9616
0.21 23.3984
0.22 23.8272
0.23 15.712
0.24 20.8
0.25 13.4144
0.26 24.1152
0.27 24.4544
0.28 24.4928
0.29 15.7888
0.3 24.6912
0.31 25.216
0.32 24.9984
0.33 24.7424
0.34 21.9648
0.35 23.1872
0.36 19.8592
0.37 24.5376
0.38 24.576
0.39 17.9648
0.4 24.7104
0.41 19.4688
0.42 22.0928
0.43 12.3136
0.44 18.6304
0.45 17.824
0.46 24.6144
0.47 24.4416
0.48 24.9984
0.49 24.5248
0.5 24.9024
EOD
$otheroff << EOD
0.01 41.536
0.02 40.96
0.03 41.184
0.04 41.0048
0.05 41.5488
0.06 41.4016
0.07 41.6128
0.08 41.6128
0.09 41.2672
0.1 41.184
0.11 41.3504
0.12 40.5504
0.13 38.2784
0.14 37.8368
0.15 39.392
0.16 40.96
0.17 41.7792
0.18 41.0816
0.19 40.5504
0.2 41.248
0.21 40.96
0.22 41.6448
0.23 39.8528
0.24 41.3824
0.25 41.4592
0.26 40.4544
0.27 41.216
0.28 40.7872
0.29 40.288
0.3 32.6848
0.31 40.6656
0.32 41.1584
0.33 41.9136
0.34 40.2624
0.35 41.4656
0.36 41.7792
0.37 39.3984
0.38 41.3504
0.39 41.504
0.4 39.552
0.41 37.632
0.42 39.4624
0.43 40.896
0.44 41.344
0.45 40.3136
0.46 41.5168
0.47 39.5328
0.48 41.344
0.49 37.9264
0.5 41.5744
EOD
$otheron << EOD
0.01 41.6192
0.02 41.8432
0.03 41.792
0.04 40.6592
0.05 40.9344
0.06 41.376
0.07 42.0224
0.08 42.0736
0.09 41.632
0.1 41.4912
0.11 41.6128
0.12 40.9536
0.13 41.44
0.14 41.7728
0.15 41.7856
0.16 41.3696
0.17 41.7152
0.18 41.8432
0.19 41.7792
0.2 41.3696
0.21 42.1312
0.22 41.8368
0.23 42.5088
0.24 42.0352
0.25 42.5856
0.26 41.3568
0.27 42.048
0.28 42.144
0.29 40.8768
0.3 41.8816
0.31 39.9808
0.32 38.3168
0.33 42.368
0.34 41.9712
0.35 42.2336
0.36 40.5056
0.37 41.7856
0.38 42.1824
0.39 41.9392
0.4 41.9968
0.41 42.3424
0.42 42.2848
0.43 42.208
0.44 41.2736
0.45 42.8672
0.46 41.8432
0.47 40.7424
0.48 42.2144
0.49 41.8816
0.5 41.8048
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
