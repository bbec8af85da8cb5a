# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 105.517
0.02 106.662
0.03 107.194
0.04 107.309
0.05 108.314
0.06 107.731
0.07 108.128
0.08 106.976
0.09 107.136
0.1 108.205
0.11 108.646
0.12 107.091
0.13 108.09
0.14 88.64
0.15 108.435
0.16 107.514
0.17 108.749
0.18 108.704
0.19 107.386
0.2 108.077
0.21 107.29
0.22 108.096
0.23 108.627
0.24 107.923
0.25 108.224
0.26 107.91
0.27 108.09
0.28 98.1504
0.29 107.917
0.3 104.966
0.31 104.96
0.32 80.3072
0.33 97.344
0.34 94.4192
0.35 79.7248
0.36 83.5456
0.37 107.731
0.38 106.835
0.39 98.8352
0.4 86.3616
0.41 93.088
0.42 82.2656
0.43 80.3264
0.44 68.0448
0.45 82.432
0.46 106.797
0.47 85.3824
0.48 76.4672
0.49 85.92
0.5 80.4416
EOD
$sameon << EOD
0.01 14.528
0.02 23.5456
0.03 23.168
0.04 17.8048
0.05 24.2688
0.06 24.4608
0.07 21.0688
0.08 23.2832
0.09 20.2368
0.1 23.008
0.11 19.6096
0.12 23.3152
0.13 13.5808
0.14 24.2176
0.15 21.8432
0.16 23.776
0.17 23.9616
0.18 20.1472
0.19 10.944
0.2 23.9488
0.21 23.9488
0.22 11.5456
0.23 23.9936
0.24 23.0912
0.25 14.3104
0.26 24.2368
0.27 21.792
0.28 22.1696
0.29 15.7888
0.3 18.7584
0.31 19.5712
0.32 23.616
0.33 14.7264
0.34 23.8528
0.35 23.9552
0.36 22.432
0.37 23.84
0.38 9.9904
0.39 23.7696
0.4 15.7184
0.41 18.4192
0.42 16.4032
0.43 18.6752
0.44 15.4944
0.45 23.9424
0.46 16.2304
0.47 24.16
0.48 11.7248
0.49 23.8656
0.5 22.3168
EOD
$otheroff << EOD
0.01 32.7744
0.02 27.1296
0.03 27.6736
0.04 28.704
0.05 31.9104
0.06 25.5552
0.07 34.8288
0.08 25.7216
0.09 34.592
0.1 27.9104
0.11 28.8896
0.12 30.784
0.13 32.6528
0.14 27.6544
0.15 26.8224
0.16 32.0704
0.17 28.448
0.18 28.128
0.19 32.4736
0.2 32.8704
0.21 31.488
0.22 34.4448
0.23 34.6176
0.24 33.344
0.25 31.2064
0.26 34.8032
0.27 30.08
0.28 34.2272
0.29 29.8496
0.3 34.7136
0.31 31.4368
0.32 34.6304
0.33 32.9536
0.34 33.4336
0.35 33.44
0.36 27.0272
0.37 33.7408
0.38 34.4064
0.39 33.5872
0.4 33.5872
0.41 34.4704
0.42 34.3936
0.43 34.3232
0.44 34.4384
0.45 34.816
0.46 34.9056
0.47 34.7264
0.48 34.816
0.49 33.2864
0.5 34.3744
EOD
$otheron << EOD
0.01 34.8096
0.02 34.3424
0.03 34.624
0.04 34.784
0.05 34.5856
0.06 34.3872
0.07 31.68
0.08 32.736
0.09 30.08
0.1 33.0304
0.11 32.48
0.12 33.4656
0.13 33.1776
0.14 33.4016
0.15 33.3376
0.16 32.384
0.17 33.5552
0.18 33.6448
0.19 32.896
0.2 32.6144
0.21 33.1776
0.22 33.4784
0.23 33.2224
0.24 33.2736
0.25 33.2992
0.26 33.056
0.27 33.1904
0.28 33.5424
0.29 33.5232
0.3 33.2736
0.31 30.8864
0.32 32.9024
0.33 33.3568
0.34 32.7808
0.35 33.9392
0.36 31.8016
0.37 33.4464
0.38 33.3696
0.39 33.6256
0.4 33.3568
0.41 34.2272
0.42 34.9184
0.43 34.656
0.44 34.4128
0.45 34.1056
0.46 34.4128
0.47 32.7936
0.48 33.2032
0.49 33.4208
0.5 33.2288
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
