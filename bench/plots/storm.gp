# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 108.979
0.02 110.771
0.03 110.624
0.04 111.27
0.05 110.323
0.06 111.405
0.07 101.504
0.08 111.674
0.09 111.379
0.1 110.957
0.11 111.373
0.12 111.712
0.13 110.963
0.14 111.168
0.15 110.918
0.16 109.178
0.17 110.304
0.18 111.347
0.19 111.085
0.2 111.264
0.21 110.195
0.22 110.227
0.23 111.418
0.24 109.722
0.25 111.008
0.26 111.11
0.27 111.104
0.28 110.272
0.29 110.33
0.3 111.36
0.31 111.155
0.32 106.624
0.33 83.1232
0.34 110.995
0.35 109.683
0.36 108.973
0.37 91.9552
0.38 111.296
0.39 110.464
0.4 109.619
0.41 110.931
0.42 107.962
0.43 109.248
0.44 108.211
0.45 108
0.46 111.008
0.47 110.816
0.48 109.626
0.49 111.142
0.5 110.31
EOD
$sameon << EOD
0.01 15.872
0.02 23.5968
0.03 23.6288
0.04 24.832
0.05 21.2288
0.06 22.72
0.07 24.6528
0.08 19.3344
0.09 18.5088
0.1 13.7984
0.11 22.8032
0.12 5.7152
0.13 17.6064
0.14 21.4592
0.15 24.7296
0.16 16.544
0.17 24.64
0.18 25.152
0.19 24.4352
0.2 11.8656
0.21 23.936
0.22 18.688
0.23 17.216
0.24 18.6176
0.25 20.5184
0.26 24.7104
0.27 20.32
0.28 24.576
0.29 12.064
0.3 15.6672
0.31 18.784
0.32 9.5552
0.33 16.8448
0.34 24.9344
0.35 20.5696
0.36 9.2032
0.37 23.1488
0.38 19.9552
0.39 20.9408
0.4 17.5104
0.41 14.9632
0.42 23.1424
0.43 23.8208
0.44 21.4144
0.45 21.8752
0.46 15.6288
0.47 24.4992
0.48 12.6592
0.49 20.032
0.5 22.4832
EOD
$otheroff << EOD
0.01 38.9184
0.02 39.936
0.03 40.8512
0.04 40.7872
0.05 40.1984
0.06 39.6224
0.07 36.2112
0.08 39.9744
0.09 36.64
0.1 40.2752
0.11 40.1216
0.12 40.2752
0.13 39.8336
0.14 40.6976
0.15 40.4992
0.16 40.4224
0.17 40.992
0.18 40.8896
0.19 40.8768
0.2 40.2944
0.21 40.1408
0.22 40.8704
0.23 41.0048
0.24 40.5184
0.25 40.6272
0.26 40.0512
0.27 40.8576
0.28 40.7424
0.29 40.4096
0.3 40.2496
0.31 39.968
0.32 40.4864
0.33 40.7104
0.34 40.5888
0.35 40.0832
0.36 39.872
0.37 40.1216
0.38 40.5184
0.39 40.4096
0.4 39.9104
0.41 30.8672
0.42 39.8272
0.43 40.7936
0.44 40.0576
0.45 40.3584
0.46 39.8208
0.47 22.2272
0.48 40.8448
0.49 40.6656
0.5 40.2816
EOD
$otheron << EOD
0.01 40.8832
0.02 35.5328
0.03 40.9664
0.04 41.1392
0.05 41.0816
0.06 41.0816
0.07 40.7104
0.08 41.1712
0.09 41.664
0.1 37.2416
0.11 40.9984
0.12 40.0448
0.13 40.8128
0.14 40.8
0.15 40.3904
0.16 40.8896
0.17 41.0304
0.18 41.2224
0.19 40.9344
0.2 40.7808
0.21 40.0768
0.22 41.4656
0.23 40.064
0.24 41.0048
0.25 40.96
0.26 40.2368
0.27 41.2736
0.28 40.8
0.29 41.1008
0.3 40.256
0.31 39.3856
0.32 40.9344
0.33 41.024
0.34 41.3248
0.35 41.0368
0.36 41.0368
0.37 41.1008
0.38 41.2224
0.39 40.8768
0.4 41.2736
0.41 40.8384
0.42 41.3184
0.43 41.472
0.44 41.1648
0.45 41.0112
0.46 41.0624
0.47 40.4928
0.48 33.2352
0.49 41.3696
0.5 41.4016
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
