# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 108.083
0.02 109.869
0.03 107.917
0.04 110.803
0.05 109.152
0.06 109.472
0.07 77.4528
0.08 87.2768
0.09 109.21
0.1 87.0208
0.11 80.6144
0.12 91.6544
0.13 98.336
0.14 109.395
0.15 108.538
0.16 107.45
0.17 80.3136
0.18 110.918
0.19 111.046
0.2 111.456
0.21 83.0592
0.22 106.97
0.23 110.573
0.24 110.176
0.25 83.7248
0.26 105.651
0.27 109.939
0.28 111.405
0.29 82.2272
0.3 110.701
0.31 110.726
0.32 110.624
0.33 107.61
0.34 110.733
0.35 110.938
0.36 110.445
0.37 110.56
0.38 109.312
0.39 96.1472
0.4 110.624
0.41 110.272
0.42 110.061
0.43 109.862
0.44 110.195
0.45 108.499
0.46 110.278
0.47 107.885
0.48 109.434
0.49 108.346
0.5 111.168
EOD
$sameon << EOD
0.01 25.0432
0.02 23.2704
0.03 18.8608
0.04 19.104
0.05 23.7696
0.06 25.0304
0.07 20.7424
0.08 15.776
0.09 12.4032
0.1 17.504
0.11 21.8176
0.12 23.0592
0.13 16.064
0.14 17.344
0.15 16.2624
0.16 23.6608
0.17 19.1744
0.18 21.3248
0.19 10.2976
0.2 14.912
0.21 16.3584
0.22 15.9936
0.23 17.1648
0.24 14.7968
0.25 18.3488
0.26 16.4544
0.27 15.5776
0.28 14.656
0.29 14.2592
0.3 14.9888
0.31 16.4736
0.32 24.6656
0.33 24.6976
0.34 18.0352
0.35 21.1328
0.36 19.0784
0.37 20.4992
0.38 18.4128
0.39 14.7072
0.4 23.456
0.41 17.2992
0.42 22.24
0.43 12.384
0.44 18.1568
0.45 24.768
0.46 23.8784
0.47 23.0144
0.48 16.8384
0.49 21.2672
0.5 19.264
EOD
$otheroff << EOD
0.01 40.1472
0.02 40.5568
0.03 41.1776
0.04 40.5184
0.05 40.768
0.06 35.2256
0.07 25.2288
0.08 34.592
0.09 41.1328
0.1 40.8512
0.11 40.192
0.12 39.7312
0.13 40.4224
0.14 40.3776
0.15 41.0944
0.16 40.928
0.17 40.5504
0.18 41.0176
0.19 40.8256
0.2 40.9088
0.21 40.8064
0.22 39.168
0.23 40.5568
0.24 37.0944
0.25 40.544
0.26 40.8896
0.27 40.48
0.28 39.7568
0.29 40.2112
0.3 40.3648
0.31 39.5392
0.32 35.5136
0.33 41.3504
0.34 40.9344
0.35 40.4096
0.36 40.0384
0.37 40.3456
0.38 39.6224
0.39 39.104
0.4 40.1344
0.41 39.8336
0.42 39.4688
0.43 40.864
0.44 39.4432
0.45 41.2352
0.46 41.6384
0.47 41.1264
0.48 41.5744
0.49 41.1328
0.5 40.8256
EOD
$otheron << EOD
0.01 41.7664
0.02 39.6352
0.03 41.4848
0.04 40.2432
0.05 42.496
0.06 42.1888
0.07 43.4688
0.08 41.696
0.09 42.1888
0.1 41.856
0.11 42.144
0.12 41.3568
0.13 41.792
0.14 42.1888
0.15 41.984
0.16 41.632
0.17 40.9984
0.18 41.0496
0.19 35.04
0.2 41.4208
0.21 41.728
0.22 41.3696
0.23 41.44
0.24 41.6512
0.25 41.7152
0.26 41.4912
0.27 41.6896
0.28 41.8688
0.29 41.5744
0.3 41.1648
0.31 41.1072
0.32 41.6896
0.33 37.28
0.34 42.5152
0.35 41.4272
0.36 38.0736
0.37 41.6256
0.38 41.9136
0.39 41.5552
0.4 41.248
0.41 42.0096
0.42 41.7408
0.43 35.7888
0.44 41.8816
0.45 41.7472
0.46 41.8112
0.47 41.312
0.48 41.7344
0.49 30.1056
0.5 41.4336
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
