# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 21.8432
0.02 36.896
0.03 42.4448
0.04 12.8
0.05 49.2544
0.06 13.088
0.07 43.0912
0.08 30.5024
0.09 24.416
0.1 16.768
0.11 30.8928
0.12 39.424
0.13 36.5312
0.14 27.2128
0.15 22.8992
0.16 31.8784
0.17 38.8544
0.18 38.016
0.19 0
0.2 51.584
0.21 15.712
0.22 29.7216
0.23 36.0192
0.24 23.5712
0.25 36.5184
0.26 28.0128
0.27 37.8816
0.28 30.4256
0.29 36.3648
0.3 17.2544
0.31 35.7504
0.32 36.0128
0.33 42.9504
0.34 26.8096
0.35 20.896
0.36 33.0624
0.37 26.6432
0.38 33.4144
0.39 39.84
0.4 16.2944
0.41 34.0352
0.42 39.3088
0.43 34.752
0.44 42.0416
0.45 10.8288
0.46 37.1136
0.47 32.16
0.48 27.3856
0.49 36.2496
0.5 34.0288
EOD
$sameon << EOD
0.01 0.6016
0.02 0.0256
0.03 0.0128
0.04 0.0128
0.05 0.0128
0.06 0.0192
0.07 0.0192
0.08 0.0192
0.09 0.0128
0.1 0.0064
0.11 0.0064
0.12 0.0128
0.13 0.0128
0.14 0.0064
0.15 0
0.16 0.0128
0.17 0.0064
0.18 0.0064
0.19 0.0064
0.2 0
0.21 0.0128
0.22 0.0064
0.23 0.0064
0.24 0.0064
0.25 0.0064
0.26 0.0064
0.27 0.0064
0.28 0.0064
0.29 0.0192
0.3 0.0064
0.31 0.0064
0.32 0.0064
0.33 0.0064
0.34 0.0064
0.35 0.0064
0.36 0.0064
0.37 0.0064
0.38 0.0064
0.39 0.0064
0.4 0.0064
0.41 0.0064
0.42 0.0064
0.43 0.0128
0.44 0.0064
0.45 0.0064
0.46 0
0.47 0.0128
0.48 0
0.49 0.0064
0.5 0.0064
0.51 0.0064
EOD
$otheroff << EOD
0.01 2.5024
0.02 0.736
0.03 0.5696
0.04 1.1264
0.05 1.4528
0.06 1.4144
0.07 1.2864
0.08 0.4352
0.09 0.896
0.1 1.2352
0.11 0.5888
0.12 1.12
0.13 1.0624
0.14 1.8304
0.15 0.5376
0.16 1.2608
0.17 1.4208
0.18 0.4288
0.19 0.4736
0.2 1.1456
0.21 0.7936
0.22 1.2032
0.23 0.9344
0.24 1.3632
0.25 0.8128
0.26 1.3248
0.27 1.0304
0.28 1.5872
0.29 0.5568
0.3 1.1648
0.31 1.3056
0.32 0.9344
0.33 0.704
0.34 1.1008
0.35 1.8944
0.36 0.4032
0.37 1.792
0.38 0.4032
0.39 1.7216
0.4 0.5568
0.41 1.3696
0.42 1.0624
0.43 1.5296
0.44 0.1728
0.45 1.6832
0.46 1.0496
0.47 0.544
0.48 1.2416
0.49 0.9664
0.5 1.3888
EOD
$otheron << EOD
0.01 0.0384
0.02 0.0064
0.03 0.032
0.04 0.0064
0.05 0.0064
0.06 0.0192
0.07 0.032
0.08 0.0128
0.09 0.0128
0.1 0.0192
0.11 0.0064
0.12 0.0064
0.13 0.0128
0.14 0.0512
0.15 0.0192
0.16 0.0192
0.17 0.0192
0.18 0.0448
0.19 0.0128
0.2 0.0128
0.21 0.0128
0.22 0.16
0.23 0.0128
0.24 0.0064
0.25 0.0448
0.26 0.0192
0.27 0.0192
0.28 0.1472
0.29 0.032
0.3 0.0192
0.31 0.0064
0.32 0.032
0.33 0.0064
0.34 0.0256
0.35 0.0128
0.36 0.0192
0.37 0
0.38 0.0128
0.39 0.0064
0.4 0.0256
0.41 0.032
0.42 0.0064
0.43 0.0128
0.44 0.0064
0.45 0.0064
0.46 0.0256
0.47 0.0448
0.48 0.0192
0.49 0.1984
0.5 0.1344
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
