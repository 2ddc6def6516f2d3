module libimage.invalid/libimage

go 1.19
