# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 61.4208
0.02 61.344
0.03 63.0976
0.04 63.1488
0.05 63.9872
0.06 64.0704
0.07 62.4896
0.08 66.0224
0.09 69.1136
0.1 68.0448
0.11 66.0608
0.12 62.7584
0.13 81.728
0.14 63.4752
0.15 63.8144
0.16 63.5008
0.17 66.208
0.18 64.0512
0.19 63.7952
0.2 66.9504
0.21 63.7184
0.22 65.4144
0.23 64
0.24 61.0432
0.25 78.0928
0.26 73.2672
0.27 70.9632
0.28 67.4496
0.29 64.7552
0.3 64.1408
0.31 74.048
0.32 62.4576
0.33 67.6672
0.34 60.5504
0.35 63.2384
0.36 75.6224
0.37 72.2496
0.38 63.3344
0.39 67.3984
0.4 63.6864
0.41 56.224
0.42 65.5552
0.43 64.9536
0.44 70.9824
0.45 63.4624
0.46 80.4288
0.47 68.1152
0.48 65.5744
0.49 64.6144
0.5 68.7808
EOD
$sameon << EOD
0.01 6.6496
0.02 6.7456
0.03 7.4496
0.04 7.8464
0.05 6.6752
0.06 7.1488
0.07 7.3984
0.08 7.168
0.09 6.0992
0.1 7.296
0.11 6.848
0.12 7.008
0.13 6.7328
0.14 8.096
0.15 7.0464
0.16 6.8352
0.17 7.5264
0.18 7.4368
0.19 6.8736
0.2 6.7008
0.21 6.6816
0.22 6.8416
0.23 6.8672
0.24 6.6688
0.25 6.6432
0.26 6.3232
0.27 6.7456
0.28 5.5744
0.29 4.544
0.3 4.3072
0.31 4.5568
0.32 4.6272
0.33 4.4864
0.34 4.3072
0.35 4.3072
0.36 4.3648
0.37 4.6144
0.38 7.3088
0.39 6.8352
0.4 9.2992
0.41 9.4144
0.42 8.5632
0.43 9.0048
0.44 9.1456
0.45 9.2928
0.46 6.784
0.47 6.6304
0.48 6.1824
0.49 6.6304
0.5 6.3872
EOD
$otheroff << EOD
0.01 19.5136
0.02 26.016
0.03 21.2864
0.04 20.0256
0.05 20.48
0.06 20.48
0.07 20.9216
0.08 20.8576
0.09 20.896
0.1 20.8832
0.11 24.3904
0.12 21.728
0.13 21.9776
0.14 19.7696
0.15 20.6656
0.16 23.5136
0.17 23.9296
0.18 21.792
0.19 20.5632
0.2 20.704
0.21 23.3472
0.22 20.5312
0.23 20.7232
0.24 20.6976
0.25 24.9856
0.26 21.504
0.27 20.6848
0.28 20.48
0.29 22.528
0.3 20.3328
0.31 21.0176
0.32 20.0896
0.33 23.456
0.34 20.3712
0.35 20.3264
0.36 20.224
0.37 20.3776
0.38 20.1728
0.39 20.3648
0.4 21.3568
0.41 21.3568
0.42 21.2992
0.43 25.9072
0.44 18.24
0.45 20.5696
0.46 21.44
0.47 24.0448
0.48 19.7952
0.49 20.736
EOD
$otheron << EOD
0.01 15.008
0.02 15.4304
0.03 15.4432
0.04 17.344
0.05 17.2992
0.06 15.3792
0.07 15.104
0.08 14.7456
0.09 16.3328
0.1 15.1936
0.11 14.7584
0.12 15.8784
0.13 11.8016
0.14 14.9312
0.15 16.352
0.16 15.232
0.17 15.1488
0.18 14.7648
0.19 14.9056
0.2 14.752
0.21 16.5568
0.22 15.5328
0.23 15.0592
0.24 14.976
0.25 15.0016
0.26 15.1872
0.27 16.224
0.28 14.8032
0.29 14.9696
0.3 15.4624
0.31 15.2512
0.32 14.9888
0.33 15.1232
0.34 15.7696
0.35 15.4624
0.36 15.2064
0.37 15.2128
0.38 15.6928
0.39 18.8096
0.4 15.808
0.41 18.496
0.42 17.8688
0.43 16.608
0.44 15.392
0.45 17.4144
0.46 14.3424
0.47 14.3744
0.48 14.0352
0.49 14.3808
0.5 14.784
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
