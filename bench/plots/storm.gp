# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 108.851
0.02 109.51
0.03 110.522
0.04 110.477
0.05 110.426
0.06 109.907
0.07 110.323
0.08 109.766
0.09 110.739
0.1 110.426
0.11 108.896
0.12 109.958
0.13 110.707
0.14 110.093
0.15 109.939
0.16 109.126
0.17 86.496
0.18 106.144
0.19 101.421
0.2 86.3168
0.21 109.542
0.22 109.856
0.23 108.666
0.24 110.413
0.25 110.56
0.26 103.181
0.27 110.624
0.28 110.189
0.29 110.202
0.3 110.266
0.31 109.101
0.32 105.062
0.33 110.381
0.34 109.28
0.35 107.923
0.36 106.822
0.37 107.315
0.38 106.989
0.39 108.179
0.4 110.342
0.41 110.208
0.42 110.214
0.43 107.712
0.44 109.613
0.45 110.592
0.46 108.384
0.47 110.605
0.48 110.138
0.49 110.368
0.5 110.131
EOD
$sameon << EOD
0.01 18.72
0.02 23.5008
0.03 24.0512
0.04 24.512
0.05 19.3856
0.06 24.192
0.07 16.7616
0.08 15.5712
0.09 13.664
0.1 15.36
0.11 16.1984
0.12 23.1296
0.13 23.072
0.14 8.0256
0.15 22.528
0.16 14.1952
0.17 22.976
0.18 23.2704
0.19 22.4256
0.2 22.4256
0.21 23.7248
0.22 14.2528
0.23 18.9824
0.24 21.4144
0.25 24.16
0.26 23.8848
0.27 17.056
0.28 22.1888
0.29 9.8688
0.3 18.9248
0.31 24.0832
0.32 23.6608
0.33 15.2512
0.34 15.4624
0.35 23.6736
0.36 20.1792
0.37 14.72
0.38 17.568
0.39 15.1616
0.4 23.0976
0.41 14.464
0.42 14.5792
0.43 21.2416
0.44 26.208
0.45 27.5008
0.46 18.816
0.47 15.5136
0.48 21.3568
0.49 21.696
0.5 19.1872
EOD
$otheroff << EOD
0.01 38.496
0.02 32.0064
0.03 37.6576
0.04 38.4448
0.05 37.9648
0.06 37.472
0.07 37.8048
0.08 37.5936
0.09 38.4768
0.1 38.8288
0.11 37.8432
0.12 38.3872
0.13 37.7472
0.14 37.9776
0.15 37.7408
0.16 37.6768
0.17 37.3312
0.18 36.896
0.19 37.1136
0.2 38.1632
0.21 38.6112
0.22 38.0032
0.23 38.016
0.24 37.6512
0.25 33.4784
0.26 35.9552
0.27 31.4176
0.28 37.6512
0.29 36.16
0.3 37.6256
0.31 36.5632
0.32 36.3264
0.33 38.0864
0.34 36.4992
0.35 38.1312
0.36 38.4064
0.37 38.1952
0.38 38.0032
0.39 36.7296
0.4 36.9856
0.41 35.8592
0.42 36.6336
0.43 38.112
0.44 38.2016
0.45 36.288
0.46 30.0544
0.47 26.9056
0.48 27.3152
0.49 30.0608
0.5 23.712
EOD
$otheron << EOD
0.01 27.4496
0.02 38.4512
0.03 38.5536
0.04 37.0944
0.05 18.1824
0.06 25.1072
0.07 25.8624
0.08 26.0352
0.09 24.4992
0.1 39.232
0.11 38.8416
0.12 39.808
0.13 38.6432
0.14 38.656
0.15 38.4896
0.16 38.3808
0.17 38.4064
0.18 37.6448
0.19 38.7584
0.2 37.9904
0.21 38.912
0.22 38.6432
0.23 38.7712
0.24 38.5024
0.25 38.4
0.26 37.7856
0.27 38.3488
0.28 38.9504
0.29 38.6816
0.3 38.848
0.31 38.6048
0.32 38.2464
0.33 38.6304
0.34 39.136
0.35 38.6816
0.36 38.688
0.37 38.6944
0.38 38.6048
0.39 38.656
0.4 39.2192
0.41 38.8032
0.42 38.9376
0.43 38.2272
0.44 38.7968
0.45 38.72
0.46 38.2592
0.47 38.8032
0.48 38.6112
0.49 38.7968
0.5 38.5024
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
