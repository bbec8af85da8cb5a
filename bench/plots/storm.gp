# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 79.4304
0.02 89.5744
0.03 91.0848
0.04 90.2272
0.05 88.5184
0.06 88.64
0.07 90.88
0.08 90.7072
0.09 88.5696
0.1 89.568
0.11 89.696
0.12 89.3568
0.13 91.1424
0.14 90.7776
0.15 89.6448
0.16 87.5776
0.17 90.944
0.18 90.5728
0.19 90.3232
0.2 87.3664
0.21 88.2112
0.22 89.8176
0.23 90.6624
0.24 90.4576
0.25 90.1696
0.26 89.568
0.27 90.9312
0.28 90.3808
0.29 89.7024
0.3 86.7584
0.31 81.5616
0.32 85.4912
0.33 90.1568
0.34 90.2016
0.35 89.472
0.36 67.5328
0.37 86.2336
0.38 89.9008
0.39 90.7328
0.4 85.8688
0.41 88.224
0.42 89.6832
0.43 90.56
0.44 89.7216
0.45 90.208
0.46 88.8512
0.47 90.8864
0.48 90.2336
0.49 90.5984
0.5 85.8944
EOD
$sameon << EOD
0.01 1.0688
0.02 0.4608
0.03 0.4736
0.04 0.5248
0.05 0.448
0.06 0.5056
0.07 0.48
0.08 0.4608
0.09 0.4864
0.1 0.5184
0.11 0.4928
0.12 0.4608
0.13 0.4736
0.14 0.4672
0.15 0.5312
0.16 0.448
0.17 0.544
0.18 0.512
0.19 0.5248
0.2 0.4864
0.21 0.544
0.22 0.576
0.23 0.4416
0.24 0.5184
0.25 0.4992
0.26 0.4416
0.27 0.4736
0.28 0.48
0.29 0.4992
0.3 0.4736
0.31 0.4416
0.32 0.4224
0.33 0.6016
0.34 0.4608
0.35 0.5184
0.36 0.48
0.37 0.5504
0.38 0.5952
0.39 0.544
0.4 0.512
0.41 0.4544
0.42 0.5056
0.43 0.4608
0.44 0.5568
0.45 0.4928
0.46 0.448
0.47 0.5248
0.48 0.4672
0.49 0.5568
0.5 0.5056
EOD
$otheroff << EOD
0.01 4.7424
0.02 5.4976
0.03 5.6192
0.04 5.7856
0.05 5.3376
0.06 5.6576
0.07 5.792
0.08 5.7728
0.09 5.76
0.1 5.5168
0.11 5.5552
0.12 5.7216
0.13 5.7536
0.14 5.8112
0.15 5.6448
0.16 5.408
0.17 5.7408
0.18 5.7472
0.19 5.7216
0.2 5.4336
0.21 5.44
0.22 5.4272
0.23 5.376
0.24 4.5824
0.25 5.5168
0.26 5.5552
0.27 5.76
0.28 5.8176
0.29 5.7472
0.3 5.408
0.31 5.6896
0.32 5.4528
0.33 5.504
0.34 5.5936
0.35 5.7152
0.36 5.6512
0.37 5.7792
0.38 5.8176
0.39 3.6928
0.4 5.1648
0.41 5.504
0.42 5.4272
0.43 5.1328
0.44 5.8048
0.45 5.6448
0.46 5.6448
0.47 5.7984
0.48 5.696
0.49 5.728
0.5 5.5488
EOD
$otheron << EOD
0.01 0.7808
0.02 0.6656
0.03 0.7232
0.04 0.7744
0.05 0.7488
0.06 0.7488
0.07 0.7488
0.08 0.7744
0.09 0.7616
0.1 0.672
0.11 0.7232
0.12 0.6976
0.13 0.7424
0.14 0.7168
0.15 0.7488
0.16 0.7744
0.17 0.8256
0.18 0.768
0.19 0.7616
0.2 0.6528
0.21 0.7168
0.22 0.768
0.23 0.704
0.24 0.7872
0.25 0.7936
0.26 0.736
0.27 0.8192
0.28 0.7104
0.29 0.7808
0.3 0.7296
0.31 0.6656
0.32 0.6912
0.33 0.6464
0.34 0.6848
0.35 0.6528
0.36 0.7936
0.37 0.8128
0.38 0.8128
0.39 0.832
0.4 0.8
0.41 0.7744
0.42 0.736
0.43 0.8192
0.44 0.8
0.45 0.7616
0.46 0.7424
0.47 0.768
0.48 0.7168
0.49 0.7808
0.5 0.7872
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
