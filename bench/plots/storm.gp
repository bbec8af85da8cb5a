# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 105.683
0.02 101.03
0.03 102.362
0.04 104.845
0.05 107.379
0.06 100.269
0.07 98.3488
0.08 100.634
0.09 89.1968
0.1 98.656
0.11 110.778
0.12 77.4528
0.13 87.8016
0.14 90.6368
0.15 91.6544
0.16 87.3536
0.17 97.1328
0.18 85.536
0.19 81.3184
0.2 89.1968
0.21 83.4048
0.22 104.794
0.23 109.152
0.24 101.843
0.25 81.184
0.26 97.056
0.27 107.398
0.28 86.4448
0.29 110.592
0.3 104.627
0.31 97.952
0.32 66.7584
0.33 83.6608
0.34 58.8416
0.35 51.3536
0.36 95.1552
0.37 89.4592
0.38 83.2896
0.39 57.6576
0.4 57.44
0.41 56.4096
0.42 56.0384
0.43 55.1936
0.44 54.56
0.45 56.192
0.46 55.3408
0.47 56.672
0.48 57.0624
0.49 56.7744
0.5 57.0688
EOD
$sameon << EOD
0.01 15.6096
0.02 15.7696
0.03 13.12
0.04 20.1728
0.05 19.36
0.06 23.9232
0.07 19.808
0.08 24.5888
0.09 18.6816
0.1 15.9104
0.11 14.176
0.12 10.4576
0.13 9.8688
0.14 10.6304
0.15 14.24
0.16 16.1088
0.17 15.7056
0.18 14.9824
0.19 15.424
0.2 8.8704
0.21 7.424
0.22 17.9712
0.23 23.9104
0.24 13.2864
0.25 17.664
0.26 16.0832
0.27 9.0688
0.28 8.6848
0.29 14.5088
0.3 15.5968
0.31 11.2
0.32 14.7712
0.33 13.472
0.34 15.488
0.35 15.6608
0.36 11.4496
0.37 15.1488
0.38 15.52
0.39 15.36
0.4 14.8544
0.41 19.008
0.42 24.3904
0.43 21.1008
0.44 26.6432
0.45 22.3936
0.46 17.024
0.47 24.9216
0.48 19.7504
0.49 18.5216
0.5 14.592
EOD
$otheroff << EOD
0.01 35.936
0.02 37.76
0.03 38.9504
0.04 38.8096
0.05 39.168
0.06 35.8912
0.07 36.4544
0.08 38.0096
0.09 38.4384
0.1 39.744
0.11 39.6352
0.12 38.4768
0.13 39.232
0.14 35.6672
0.15 21.3056
0.16 39.872
0.17 39.488
0.18 39.584
0.19 39.1424
0.2 40.3968
0.21 38.9632
0.22 38.88
0.23 37.7344
0.24 38.7584
0.25 39.3344
0.26 38.2464
0.27 39.7632
0.28 39.8144
0.29 39.6352
0.3 40.2048
0.31 40.3456
0.32 39.968
0.33 39.6032
0.34 39.6544
0.35 38.9888
0.36 39.8848
0.37 39.8848
0.38 38.9632
0.39 37.7472
0.4 33.9648
0.41 34.3104
0.42 37.3952
0.43 38.2592
0.44 37.6448
0.45 37.4016
0.46 36.8192
0.47 40.064
0.48 39.2832
0.49 39.2192
0.5 39.52
EOD
$otheron << EOD
0.01 34.4128
0.02 34.816
0.03 40.704
0.04 40.704
0.05 40.7232
0.06 39.1808
0.07 40.544
0.08 32.4736
0.09 28.0064
0.1 27.8656
0.11 27.9872
0.12 27.9232
0.13 27.8208
0.14 27.2896
0.15 28.0384
0.16 35.6352
0.17 40.1408
0.18 39.7312
0.19 38.0352
0.2 38.976
0.21 38.9824
0.22 40.1664
0.23 40.928
0.24 41.6768
0.25 40.1728
0.26 40.3072
0.27 39.5648
0.28 39.7312
0.29 40.2944
0.3 40.3968
0.31 40.5376
0.32 40.5632
0.33 40.768
0.34 40.3328
0.35 37.6384
0.36 41.0432
0.37 40.6464
0.38 40.224
0.39 39.104
0.4 38.624
0.41 39.9872
0.42 39.808
0.43 38.3424
0.44 38.7712
0.45 39.424
0.46 39.84
0.47 39.6352
0.48 40.1728
0.49 39.488
0.5 39.6544
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
