# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 76.7808
0.02 77.7984
0.03 79.3984
0.04 67.0208
0.05 55.6608
0.06 77.216
0.07 73.3952
0.08 78.3808
0.09 78.7584
0.1 75.9616
0.11 78.9632
0.12 73.2992
0.13 75.7312
0.14 73.6768
0.15 66.8672
0.16 75.4432
0.17 77.664
0.18 78.1888
0.19 78.6048
0.2 78.5728
0.21 77.0496
0.22 78.816
0.23 78.848
0.24 79.2896
0.25 79.3408
0.26 79.168
0.27 78.2528
0.28 77.5616
0.29 78.2848
0.3 77.8432
0.31 77.76
0.32 74.976
0.33 74.8352
0.34 77.504
0.35 75.0912
0.36 77.0816
0.37 75.3792
0.38 53.8816
0.39 78.656
0.4 77.9392
0.41 77.8048
0.42 78.7456
0.43 77.9648
0.44 76.864
0.45 78.4128
0.46 70.6176
0.47 73.0688
0.48 74.0608
0.49 76.256
0.5 74.592
EOD
$sameon << EOD
0.01 16.1088
0.02 14.5728
0.03 13.1008
0.04 2.1888
0.05 4.7616
0.06 3.6928
0.07 10.144
0.08 2.8736
0.09 7.5072
0.1 11.2768
0.11 1.8688
0.12 14.784
0.13 16.4352
0.14 9.4528
0.15 11.1552
0.16 6.72
0.17 10.0288
0.18 12.5056
0.19 7.5712
0.2 6.4192
0.21 9.1648
0.22 13.0048
0.23 5.2672
0.24 9.8112
0.25 3.5328
0.26 15.0336
0.27 4.6336
0.28 11.8912
0.29 4.896
0.3 16.2112
0.31 5.9456
0.32 12.9984
0.33 3.1168
0.34 4.448
0.35 8.736
0.36 4.1472
0.37 10.7072
0.38 8.3648
0.39 7.9232
0.4 14.144
0.41 7.3152
0.42 14.5024
0.43 6.1184
0.44 16.3648
0.45 15.4176
0.46 13.2544
0.47 15.2064
0.48 3.072
0.49 11.6864
0.5 4.8192
EOD
$otheroff << EOD
0.01 33.0816
0.02 34.0288
0.03 33.1328
0.04 33.6704
0.05 33.2608
0.06 34.4896
0.07 33.8752
0.08 34.2464
0.09 33.9648
0.1 34.56
0.11 34.848
0.12 34.4448
0.13 34.5024
0.14 34.6048
0.15 34.752
0.16 34.1504
0.17 33.9776
0.18 30.2976
0.19 34.7584
0.2 33.4208
0.21 34.6432
0.22 34.4384
0.23 34.5472
0.24 33.7984
0.25 29.7408
0.26 32.9984
0.27 31.1936
0.28 34.5984
0.29 34.1056
0.3 33.056
0.31 33.2992
0.32 30.9824
0.33 34.7456
0.34 33.632
0.35 34.6496
0.36 34.7456
0.37 33.3632
0.38 34.5728
0.39 34.5216
0.4 33.3888
0.41 32.0384
0.42 32.4992
0.43 34.9696
0.44 33.92
0.45 32.8704
0.46 29.6064
0.47 32.4416
0.48 34.2528
0.49 30.4
0.5 31.5456
EOD
$otheron << EOD
0.01 31.5456
0.02 28.48
0.03 30.0736
0.04 30.2336
0.05 33.7088
0.06 33.088
0.07 31.9424
0.08 34.0224
0.09 34.8608
0.1 34.816
0.11 34.4256
0.12 31.552
0.13 28.2944
0.14 13.28
0.15 25.1072
0.16 34.304
0.17 26.5728
0.18 26.6304
0.19 31.4496
0.2 33.0432
0.21 33.344
0.22 33.8432
0.23 32.256
0.24 31.456
0.25 32.9728
0.26 33.1648
0.27 33.1904
0.28 33.9392
0.29 33.3184
0.3 33.7856
0.31 33.4912
0.32 31.9296
0.33 34.08
0.34 35.4688
0.35 33.3632
0.36 33.8624
0.37 25.2736
0.38 31.5072
0.39 23.7952
0.4 26.208
0.41 34.0864
0.42 32.6208
0.43 29.504
0.44 23.0272
0.45 34.1248
0.46 30.368
0.47 30.8672
0.48 28.2624
0.49 33.6384
0.5 19.9232
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
